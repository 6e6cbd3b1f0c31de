package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts. Each runs atomically on the server, touches only the keys
// it is given (all in the installation's hash slot, see keys.go) and uses
// only commands that Redis 7.0 has. Times inside the queue scripts come from
// the server's clock (TIME), so instances with skewed clocks agree on leases.
//
// go-redis may send a script again after a dropped connection even though the
// first run went through; each script says why a second run is harmless.

// Error prefixes the scripts reply with; see the Go callers.
const errMismatch = "FFMISMATCH"

// submitScript stores a report once per idempotency key, indexes it and
// enqueues its job.
//
// KEYS[1] P:{P}:idem:<key> (string "<report id> <payload hash>")   KEYS[2] P:{P}:report:<id>   KEYS[3] P:{P}:receipts
// KEYS[4] P:{P}:idx:all         KEYS[5..8] P:{P}:idx:line|category|severity|status:<value>
// KEYS[9] P:{P}:queue          KEYS[10..] P:{P}:idx:<field>:<value> of store.FilterFields[4:] (team)
// ARGV[1] payload hash   ARGV[2] report id   ARGV[3] report JSON   ARGV[4] receipt
// ARGV[5] idempotency TTL (s)   ARGV[6] job JSON
// Returns {1, id, stream entry id} when created; {0, stored id} on a replay
// with the same payload hash; error "FFMISMATCH …" for another payload hash.
// Report ids are UUID v7 with 74 random bits, so the script does not spend a
// call on checking that the id is new.
// A re-run after a lost reply finds the idempotency key it wrote and is a replay.
var submitScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[1])
if prev then
  local sp = string.find(prev, ' ', 1, true)
  if string.sub(prev, sp + 1) ~= ARGV[1] then
    return redis.error_reply('` + errMismatch + ` idempotency key reused with another payload')
  end
  return {0, string.sub(prev, 1, sp - 1)}
end
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[2])
end
for i = 4, 8 do
  redis.call('ZADD', KEYS[i], 0, ARGV[2])
end
for i = 10, #KEYS do
  redis.call('ZADD', KEYS[i], 0, ARGV[2])
end
local eid = redis.call('XADD', KEYS[9], '*', 'job', ARGV[6])
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[1], 'EX', ARGV[5])
return {1, ARGV[2], eid}
`)

// queueLib is shared by the queue scripts. They all take the same keys:
//
// KEYS[1] P:{P}:queue           the stream
// KEYS[2] P:{P}:queue:leases    zset entry id → lease deadline (ms): delivered, lease running
// KEYS[3] P:{P}:queue:retries   zset entry id → retry-at (ms): failed or released, waiting
// KEYS[4] P:{P}:queue:errors    hash entry id → last error
// KEYS[5] P:{P}:queue:dead      list of dead letters, newest first
//
// and ARGV[1] is the consumer group. Invariant: an entry is in the stream
// until it is acked or dead-lettered, and then it is XACKed and XDELed in the
// same script; a pending entry is in exactly one of leases and retries.
const queueLib = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- pending returns the owner and delivery count of a pending entry, or nil.
local function pending(id)
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if #p == 0 then return nil end
  return p[1][2], tonumber(p[1][4])
end

local function job_of(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 'job' then return fields[i + 1] end
  end
  return ''
end

-- forget drops the bookkeeping of an entry.
local function forget(id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end

-- bury moves an entry to the dead-letter list and out of the stream.
local function bury(id, reason, count, now)
  local job = ''
  local e = redis.call('XRANGE', KEYS[1], id, id)
  if #e > 0 then job = job_of(e[1][2]) end
  redis.call('LPUSH', KEYS[5], cjson.encode({
    job = job, last_error = reason, attempt = count, handle = id,
    dead_at_ms = string.format('%.0f', now)}))
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
  forget(id)
end
`

// claimScript leases up to max jobs to a consumer: first pending entries whose
// retry time or lease deadline has passed (XCLAIM, which counts the delivery),
// dead-lettering those already delivered max-attempts times, then new entries
// (XREADGROUP >).
//
// KEYS[1..5] as queueLib
// ARGV[1] group   ARGV[2] consumer   ARGV[3] max   ARGV[4] lease (ms)
// ARGV[5] max attempts   ARGV[6] extra due entries it may dead-letter in one run
// Returns {buried, {entry id, job JSON, attempt, entry id, job JSON, attempt, …}}.
// A re-run after a lost reply leases more entries; the ones leased by the
// lost run come back when their lease runs out (at-least-once).
var claimScript = redis.NewScript(queueLib + `
local group, consumer = ARGV[1], ARGV[2]
local max, lease, maxAttempts = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local budget = max + tonumber(ARGV[6])
local now = now_ms()
local out, n, buried = {}, 0, 0
for _, set in ipairs({KEYS[3], KEYS[2]}) do
  while n < max and budget > 0 do
    local ids = redis.call('ZRANGE', set, '-inf', now, 'BYSCORE', 'LIMIT', 0, math.min(budget, max - n))
    if #ids == 0 then break end
    for _, id in ipairs(ids) do
      budget = budget - 1
      local owner, count = pending(id)
      if not owner then
        forget(id)
      elseif count >= maxAttempts then
        local why = 'lease expired'
        local prev = redis.call('HGET', KEYS[4], id)
        if prev then why = 'lease expired; earlier error: ' .. prev end
        bury(id, why, count, now)
        buried = buried + 1
      else
        local e = redis.call('XCLAIM', KEYS[1], group, consumer, 0, id)
        if #e == 0 or not e[1] then
          forget(id)
        else
          redis.call('ZREM', KEYS[3], id)
          redis.call('ZADD', KEYS[2], now + lease, id)
          n = n + 1
          out[#out + 1] = id
          out[#out + 1] = job_of(e[1][2])
          out[#out + 1] = count + 1
        end
      end
    end
  end
end
if n < max then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max - n, 'STREAMS', KEYS[1], '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      redis.call('ZADD', KEYS[2], now + lease, e[1])
      out[#out + 1] = e[1]
      out[#out + 1] = job_of(e[2])
      out[#out + 1] = 1
    end
  end
end
return {buried, out}
`)

// failScript records a failed delivery: it dead-letters the entry if this was
// delivery max-attempts, else schedules it to be reclaimable after a delay.
//
// KEYS[1..5] as queueLib
// ARGV[1] group   ARGV[2] entry id   ARGV[3] attempt (delivery count the worker saw)
// ARGV[4] reason   ARGV[5] retry after (ms)   ARGV[6] max attempts
// Returns 1 scheduled for retry, 2 dead-lettered, 0 no such pending entry (acked
// or dead already), -1 stale (the entry was delivered again since; nothing done).
// A re-run finds the entry gone (0) or reschedules it the same way.
var failScript = redis.NewScript(queueLib + `
local id = ARGV[2]
local owner, count = pending(id)
if not owner then return 0 end
if count ~= tonumber(ARGV[3]) then return -1 end
local now = now_ms()
if count >= tonumber(ARGV[6]) then
  bury(id, ARGV[4], count, now)
  return 2
end
redis.call('HSET', KEYS[4], id, ARGV[4])
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), id)
return 1
`)

// releaseScript hands a delivery back at once without counting it: the
// delivery count goes down by one (XCLAIM RETRYCOUNT), so the next Claim,
// which counts up again, delivers the same attempt number.
//
// KEYS[1..5] as queueLib
// ARGV[1] group   ARGV[2] entry id   ARGV[3] attempt (delivery count the worker saw)
// Returns 1 released, 0 no such pending entry, -1 stale (delivered again since,
// or already released: a re-run sees the lowered count and does nothing).
var releaseScript = redis.NewScript(queueLib + `
local id = ARGV[2]
local owner, count = pending(id)
if not owner then return 0 end
if count ~= tonumber(ARGV[3]) then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], owner, 0, id, 'RETRYCOUNT', math.max(count - 1, 0), 'JUSTID')
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[3], 0, id)
return 1
`)

// ackScript removes an entry for good.
//
// KEYS[1..5] as queueLib
// ARGV[1] group   ARGV[2] entry id
// Returns the number of stream entries deleted (0 if it was gone already,
// which makes a re-run harmless).
var ackScript = redis.NewScript(queueLib + `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
local n = redis.call('XDEL', KEYS[1], ARGV[2])
forget(ARGV[2])
return n
`)

// statsScript counts jobs by state in one consistent snapshot.
//
// KEYS[1..5] as queueLib
// ARGV[1] group
// Returns {ready, in flight, dead}: ready = never delivered (stream length
// minus pending) + waiting for a retry + lease run out; in flight = lease
// running. Read-only.
var statsScript = redis.NewScript(queueLib + `
local now = now_ms()
local total = redis.call('XLEN', KEYS[1])
local pend = redis.call('XPENDING', KEYS[1], ARGV[1])[1]
local waiting = redis.call('ZCARD', KEYS[3])
local expired = redis.call('ZCOUNT', KEYS[2], '-inf', now)
local running = redis.call('ZCOUNT', KEYS[2], '(' .. string.format('%.0f', now), '+inf')
return {total - pend + waiting + expired, running, redis.call('LLEN', KEYS[5])}
`)

// allScripts are loaded by New so the first calls go out as EVALSHA.
var allScripts = []*redis.Script{submitScript, claimScript, failScript, releaseScript, ackScript, statsScript}
