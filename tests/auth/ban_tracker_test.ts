// Brute-force bans: per (source, user) and per source, fair to an office behind one NAT address.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BanTracker, DEFAULT_BAN_POLICY } from "../../src/auth/ban_tracker.ts";
import { RateLimiter } from "../../src/auth/rate_limiter.ts";
import { cidrContains, parseCidr } from "../../src/auth/cidr.ts";

const policy = { ...DEFAULT_BAN_POLICY, userFailures: 3, sourceUsernames: 4, sourceFailures: 20 };

describe("BanTracker", () => {
  it("bans one username from one address, not the office's other phones", () => {
    const bans = new BanTracker(policy);
    assert.equal(bans.recordFailure("203.0.113.1", "alice", 0), null);
    assert.equal(bans.recordFailure("203.0.113.1", "alice", 1), null);
    const ban = bans.recordFailure("203.0.113.1", "alice", 2);
    assert.equal(ban?.username, "alice");
    assert.notEqual(bans.banned("203.0.113.1", "alice", 3), null);
    assert.equal(bans.banned("203.0.113.1", "bob", 3), null);
    assert.equal(bans.banned("203.0.113.1", null, 3), null);
  });

  it("bans the address when many usernames fail (enumeration, spraying)", () => {
    const bans = new BanTracker(policy);
    let ban = null;
    for (const user of ["a", "b", "c", "d"]) ban = bans.recordFailure("198.51.100.9", user, 0);
    assert.equal(ban?.username, null);
    assert.notEqual(bans.banned("198.51.100.9", "anyone", 1), null);
  });

  it("forgets failures after the window and after a success", () => {
    const bans = new BanTracker(policy);
    bans.recordFailure("192.0.2.1", "alice", 0);
    bans.recordFailure("192.0.2.1", "alice", 1);
    assert.equal(bans.failures("192.0.2.1", "alice", policy.windowMs + 10), 0);
    bans.recordSuccess("192.0.2.1", "alice");
    assert.equal(bans.recordFailure("192.0.2.1", "alice", 2), null);
  });

  it("lifts bans when they run out and on unban()", () => {
    const bans = new BanTracker(policy);
    for (const u of ["a", "b", "c", "d"]) bans.recordFailure("192.0.2.7", u, 0);
    assert.notEqual(bans.banned("192.0.2.7", null, 1), null);
    assert.equal(bans.banned("192.0.2.7", null, policy.banMs + 1), null);
    for (const u of ["a", "b", "c", "d"]) bans.recordFailure("192.0.2.7", u, policy.banMs + 2);
    assert.equal(bans.unban("192.0.2.7"), 1);
    assert.equal(bans.banned("192.0.2.7", null, policy.banMs + 3), null);
  });

  it("tracks a bounded number of addresses", () => {
    const bans = new BanTracker({ ...policy, maxTracked: 100 });
    for (let i = 0; i < 10_000; i++) bans.recordFailure(`10.0.${i >> 8}.${i & 255}`, "x", 0);
    assert.equal(bans.failures("10.0.0.0", "x", 0), 0, "the oldest were forgotten");
  });
});

describe("RateLimiter", () => {
  it("lets a burst through, then refills at the rate, per address", () => {
    const limiter = new RateLimiter({ perSecond: 10, burst: 5, maxTracked: 100 });
    const passed = Array.from({ length: 8 }, () => limiter.take("a", 0)).filter(Boolean).length;
    assert.equal(passed, 5);
    assert.equal(limiter.take("b", 0), true, "another address is not starved");
    assert.equal(limiter.take("a", 100), true, "100 ms at 10/s refills one token");
    assert.equal(limiter.take("a", 100), false);
  });

  it("lets everything through at a rate of 0, and takes a new limit", () => {
    const limiter = new RateLimiter({ perSecond: 0, burst: 0, maxTracked: 10 });
    for (let i = 0; i < 100; i++) assert.equal(limiter.take("a", 0), true);
    limiter.setLimit({ perSecond: 1, burst: 1, maxTracked: 10 });
    assert.equal(limiter.take("a", 0), true);
    assert.equal(limiter.take("a", 0), false);
  });

  it("stays bounded", () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, maxTracked: 50 });
    for (let i = 0; i < 1000; i++) limiter.take(`a${i}`, 0);
    assert.equal(limiter.size, 50);
  });
});

describe("cidrContains()", () => {
  const cases: Array<[string, string, boolean]> = [
    ["192.168.1.0/24", "192.168.1.77", true],
    ["192.168.1.0/24", "192.168.2.1", false],
    ["10.0.0.0/8", "10.255.0.1", true],
    ["0.0.0.0/0", "203.0.113.5", true],
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["192.168.1.0/24", "::ffff:192.168.1.9", true],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["::1/128", "::1", true],
    ["192.168.1.0/24", "::1", false],
  ];
  for (const [cidr, address, expected] of cases) {
    it(`${cidr} ${expected ? "contains" : "excludes"} ${address}`, () => {
      assert.equal(cidrContains(parseCidr(cidr), address), expected);
    });
  }
  it("rejects bad networks", () => {
    for (const bad of ["300.1.1.1/8", "10.0.0.0/33", "fd00::/129", "x/1", "10.0.0.0/"]) {
      assert.throws(() => parseCidr(bad), /Invalid network/);
    }
  });
});
