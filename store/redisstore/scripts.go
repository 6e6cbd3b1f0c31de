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

// jobLib is shared by every script that adds a job. Job ids are unique
// across queues; their state is kept in three keys every such script gets:
//
//	jobs   hash  P:{P}:jobs    job id → "<queue> <stream entry id>": live (ready, in flight, retry-waiting)
//	dead   hash  P:{P}:dead    job id → dead-letter envelope JSON
//	acked  zset  P:{P}:acked   job id → acked-at (ms): acked within store.AckedRetention
const jobLib = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- job_known says whether a job with id jid must not be added again: it is
-- live, dead, or was acked less than retention ms ago. An older acked
-- marker is dropped.
local function job_known(jobs, dead, acked, jid, retention)
  if redis.call('HEXISTS', jobs, jid) == 1 or redis.call('HEXISTS', dead, jid) == 1 then
    return true
  end
  local at = redis.call('ZSCORE', acked, jid)
  if not at then return false end
  if tonumber(at) > now_ms() - retention then return true end
  redis.call('ZREM', acked, jid)
  return false
end
`

// submitScript stores a report once per idempotency key, indexes it and
// enqueues its job, registering the job id in P:{P}:jobs as Enqueue does
// (so a later Enqueue of that id is a no-op).
//
// KEYS[1] P:{P}:idem:<key> (string "<report id> <payload hash>")   KEYS[2] P:{P}:report:<id>   KEYS[3] P:{P}:receipts
// KEYS[4] P:{P}:idx:all         KEYS[5..8] P:{P}:idx:line|category|severity|status:<value>
// KEYS[9] P:{P}:queue:<queue>   KEYS[10] P:{P}:jobs
// KEYS[11..] P:{P}:idx:<field>:<value> of store.FilterFields[4:] (team)
// ARGV[1] payload hash   ARGV[2] report id   ARGV[3] report JSON   ARGV[4] receipt
// ARGV[5] idempotency TTL (s)   ARGV[6] job JSON   ARGV[7] job id   ARGV[8] queue name
// Returns {1, id, stream entry id} when created; {0, stored id} on a replay
// with the same payload hash; error "FFMISMATCH …" for another payload hash.
// Report and job ids are UUID v7 with 74 random bits (store.Submission), so
// the script does not spend calls on checking that they are new: this is
// the submission hot path.
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
  redis.call('ZADD', KEYS[i], '0', ARGV[2])
end
for i = 11, #KEYS do
  redis.call('ZADD', KEYS[i], '0', ARGV[2])
end
local eid = redis.call('XADD', KEYS[9], '*', 'job', ARGV[6])
redis.call('HSET', KEYS[10], ARGV[7], ARGV[8] .. ' ' .. eid)
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[1], 'EX', ARGV[5])
return {1, ARGV[2], eid}
`)

// enqueueScript adds a job to a queue unless its id is known (live, dead,
// or acked within the retention).
//
// KEYS[1] P:{P}:queue:<queue>   KEYS[2] P:{P}:jobs   KEYS[3] P:{P}:dead   KEYS[4] P:{P}:acked
// ARGV[1] job id   ARGV[2] queue name   ARGV[3] job JSON   ARGV[4] acked retention (ms)
// Returns 1 when added, 0 when the id was known (nothing written).
// A re-run after a lost reply finds the id in P:{P}:jobs (or, if the job was
// processed meanwhile, among the dead or acked) and does nothing.
var enqueueScript = redis.NewScript(jobLib + `
if job_known(KEYS[2], KEYS[3], KEYS[4], ARGV[1], tonumber(ARGV[4])) then
  return 0
end
local eid = redis.call('XADD', KEYS[1], '*', 'job', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. eid)
return 1
`)

// queueLib is shared by the queue scripts. They all take the keys of one
// queue q (see keyspace.queueKeys):
//
//	KEYS[1] P:{P}:queue:<q>          the stream, consumer group ARGV[1]
//	KEYS[2] P:{P}:queue:<q>:leases   zset entry id → lease deadline (ms): delivered, lease running
//	KEYS[3] P:{P}:queue:<q>:retries  zset entry id → retry-at (ms): failed or released, waiting
//	KEYS[4] P:{P}:queue:<q>:errors   hash entry id → last error
//	KEYS[5] P:{P}:queue:<q>:prior    hash entry id → deliveries before a schema-1 migration
//	KEYS[6] P:{P}:queue:<q>:dead     zset job id → dead-at (ms): this queue's dead letters
//	KEYS[7] P:{P}:jobs   KEYS[8] P:{P}:dead   KEYS[9] P:{P}:acked   (jobLib)
//
// and ARGV[1] is the consumer group, ARGV[2] the queue name. Invariants: an
// entry is in the stream until it is acked or dead-lettered, and then it is
// XACKed and XDELed in the same script; a pending entry is in exactly one of
// leases and retries; a live job's P:{P}:jobs field names its entry. A
// job's attempt is its entry's delivery count plus its prior deliveries
// (non-zero only for jobs migrated from schema 1 with deliveries behind them).
const queueLib = jobLib + `
local function prior(id)
  return tonumber(redis.call('HGET', KEYS[5], id) or '0')
end

-- pending returns the owner, attempt (delivery count + prior) and raw
-- delivery count of a pending entry, or nil.
local function pending(id)
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if #p == 0 then return nil end
  local count = tonumber(p[1][4])
  return p[1][2], count + prior(id), count
end

local function job_of(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 'job' then return fields[i + 1] end
  end
  return ''
end

-- job_id reads the id out of a job's JSON ('' if it has none).
local function job_id(job)
  local ok, j = pcall(cjson.decode, job)
  if ok and type(j) == 'table' and type(j.id) == 'string' then return j.id end
  return ''
end

-- forget drops the bookkeeping of an entry.
local function forget(id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('HDEL', KEYS[5], id)
end

-- drop_live clears the jobs-hash field of jid if it names entry id.
local function drop_live(jid, id)
  if redis.call('HGET', KEYS[7], jid) == ARGV[2] .. ' ' .. id then
    redis.call('HDEL', KEYS[7], jid)
  end
end

-- put_dead stores a dead letter of this queue.
local function put_dead(jid, job, reason, attempt, dead_ms)
  redis.call('HSET', KEYS[8], jid, cjson.encode({
    job = job, queue = ARGV[2], last_error = reason, attempt = attempt,
    dead_at_ms = string.format('%.0f', dead_ms)}))
  redis.call('ZADD', KEYS[6], dead_ms, jid)
end

-- bury moves an entry to the dead letters and out of the stream.
local function bury(id, reason, attempt, now)
  local job = ''
  local e = redis.call('XRANGE', KEYS[1], id, id)
  if #e > 0 then job = job_of(e[1][2]) end
  local jid = job_id(job)
  if jid ~= '' then
    drop_live(jid, id)
  else
    -- A job whose JSON has no id (Claim could not decode it): still a dead
    -- letter, listed and retriable, under a name made of its entry id.
    jid = 'undecodable-' .. id
  end
  put_dead(jid, job, reason, attempt, now)
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
  forget(id)
end
`

// legacyLib moves schema-1 jobs (the single queue, see keys.go) into the
// report queue. Its scripts take queueLib's keys of the report queue and
//
//	KEYS[10] P:{P}:queue           the v1 stream (group ARGV[1])
//	KEYS[11] P:{P}:queue:leases    KEYS[12] P:{P}:queue:retries   KEYS[13] P:{P}:queue:errors
//	KEYS[14] P:{P}:queue:dead      the v1 dead-letter list (newest first)
//
// Each moved entry becomes a new, never-delivered entry of the report queue
// (due at once: an in-flight job is ready again, a retry-waiting one loses
// the rest of its delay) that keeps its job JSON, its deliveries so far (in
// the prior hash) and its last error; a v1 dead letter becomes a dead letter
// addressable by id. Jobs whose id is known already (moved before, by a run
// whose reply was lost) are dropped from the v1 keys without a copy.
const legacyLib = queueLib + `
local function legacy_group()
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[10])) do
    for i = 1, #g, 2 do
      if g[i] == 'name' and g[i + 1] == ARGV[1] then return true end
    end
  end
  return false
end

-- drain_legacy moves up to budget v1 entries and dead letters; it returns
-- how many v1 entries and dead letters are left.
local function drain_legacy(budget, retention)
  local moved = 0
  while moved < budget do
    local raw = redis.call('RPOP', KEYS[14]) -- oldest first
    if not raw then break end
    moved = moved + 1
    local ok, d = pcall(cjson.decode, raw)
    if ok and type(d) == 'table' then
      local job = d.job or ''
      local jid = job_id(job)
      if jid == '' then
        jid = 'v1-' .. tostring(d.handle)
        job = cjson.encode({id = jid, type = ''})
      end
      if not job_known(KEYS[7], KEYS[8], KEYS[9], jid, retention) then
        put_dead(jid, job, d.last_error or '', tonumber(d.attempt) or 0, tonumber(d.dead_at_ms) or now_ms())
      end
    end
  end
  if redis.call('XLEN', KEYS[10]) > 0 and moved < budget then
    local grouped = legacy_group()
    local entries = redis.call('XRANGE', KEYS[10], '-', '+', 'COUNT', budget - moved)
    for _, e in ipairs(entries) do
      local id, job = e[1], job_of(e[2])
      local jid = job_id(job)
      if jid == '' then
        -- Undecodable: v1 would have dead-lettered it after its leases; do so now.
        put_dead('v1-' .. id, job, 'undecodable job found by the schema 1 migration', 0, now_ms())
      elseif not job_known(KEYS[7], KEYS[8], KEYS[9], jid, retention) then
        local count = 0
        if grouped then
          local p = redis.call('XPENDING', KEYS[10], ARGV[1], id, id, 1)
          if #p > 0 then count = tonumber(p[1][4]) end
        end
        local eid = redis.call('XADD', KEYS[1], '*', 'job', job)
        redis.call('HSET', KEYS[7], jid, ARGV[2] .. ' ' .. eid)
        if count > 0 then redis.call('HSET', KEYS[5], eid, count) end
        local why = redis.call('HGET', KEYS[13], id)
        if why then redis.call('HSET', KEYS[4], eid, why) end
      end
      if grouped then redis.call('XACK', KEYS[10], ARGV[1], id) end
      redis.call('XDEL', KEYS[10], id)
      redis.call('ZREM', KEYS[11], id)
      redis.call('ZREM', KEYS[12], id)
      redis.call('HDEL', KEYS[13], id)
      moved = moved + 1
    end
    -- The emptied v1 stream stays, with its consumer group: an old
    -- instance still running in a rolling upgrade keeps adding to it and
    -- claiming from it; deleting it would make each of its claims fail
    -- (NOGROUP) and recreate it. Its v1 bookkeeping has nothing left to say.
    if redis.call('XLEN', KEYS[10]) == 0 then
      redis.call('DEL', KEYS[11], KEYS[12], KEYS[13])
    end
  end
  return redis.call('LLEN', KEYS[14]) + redis.call('XLEN', KEYS[10])
end
`

// migrateScript moves one batch of a schema-1 queue into the report queue
// (legacyLib) and, when nothing is left, records the schema version.
//
// KEYS[1..14] as legacyLib (report queue)   KEYS[15] P:{P}:schema
// ARGV[1] group   ARGV[2] "report"   ARGV[3] batch size   ARGV[4] acked retention (ms)
// ARGV[5] schema version of this binary
// Returns {version found (0: none), entries left}. With a newer version
// than ARGV[5] it writes nothing. Running it from several instances at once
// is safe: each run is atomic and moves entries out of the v1 keys, so no
// entry is moved twice; a re-run moves the next batch or finds nothing.
var migrateScript = redis.NewScript(legacyLib + `
local v = tonumber(redis.call('GET', KEYS[15]) or '0')
if v > tonumber(ARGV[5]) then return {v, 0} end
local left = drain_legacy(tonumber(ARGV[3]), tonumber(ARGV[4]))
if left == 0 and v < tonumber(ARGV[5]) then
  redis.call('SET', KEYS[15], ARGV[5])
end
return {v, left}
`)

// claimScript leases up to max jobs of one queue to a consumer: first
// pending entries whose retry time or lease deadline has passed (XCLAIM,
// which counts the delivery), dead-lettering those already delivered
// max-attempts times, then new entries (XREADGROUP >). For the report queue
// it first moves a batch of schema-1 entries, if any are left (legacyLib):
// during a rolling upgrade old instances still add jobs to the v1 stream.
//
// KEYS[1..9] as queueLib, and for the report queue KEYS[10..14] as legacyLib
// ARGV[1] group   ARGV[2] queue   ARGV[3] consumer   ARGV[4] max   ARGV[5] lease (ms)
// ARGV[6] max attempts   ARGV[7] extra due entries it may dead-letter in one run
// ARGV[8] v1 entries to move per run   ARGV[9] acked retention (ms)
// Returns {buried, {entry id, job JSON, attempt, last error or "", …}} (four
// values per delivered job).
// A re-run after a lost reply leases more entries; the ones leased by the
// lost run come back when their lease runs out (at-least-once).
var claimScript = redis.NewScript(legacyLib + `
if #KEYS >= 14 and (redis.call('EXISTS', KEYS[14]) == 1 or redis.call('XLEN', KEYS[10]) > 0) then
  drain_legacy(tonumber(ARGV[8]), tonumber(ARGV[9]))
end
local group, consumer = ARGV[1], ARGV[3]
local max, lease, maxAttempts = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local budget = max + tonumber(ARGV[7])
local now = now_ms()
local out, n, buried = {}, 0, 0
for _, set in ipairs({KEYS[3], KEYS[2]}) do
  while n < max and budget > 0 do
    local ids = redis.call('ZRANGE', set, '-inf', now, 'BYSCORE', 'LIMIT', 0, math.min(budget, max - n))
    if #ids == 0 then break end
    for _, id in ipairs(ids) do
      budget = budget - 1
      local owner, attempt = pending(id)
      if not owner then
        forget(id)
      elseif attempt >= maxAttempts then
        local why = 'lease expired'
        local prev = redis.call('HGET', KEYS[4], id)
        if set == KEYS[3] and prev then
          why = prev
        elseif prev then
          why = 'lease expired; earlier error: ' .. prev
        end
        bury(id, why, attempt, now)
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
          out[#out + 1] = attempt + 1
          out[#out + 1] = redis.call('HGET', KEYS[4], id) or ''
        end
      end
    end
  end
end
while n < max do
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max - n, 'STREAMS', KEYS[1], '>')
  if not r then break end
  local got = 0
  for _, e in ipairs(r[1][2]) do
    got = got + 1
    local p = prior(e[1])
    if p >= maxAttempts then
      -- A migrated job whose last allowed delivery had started: as a lease
      -- expiry would, dead-letter it.
      local why = 'lease expired'
      local prev = redis.call('HGET', KEYS[4], e[1])
      if prev then why = 'lease expired; earlier error: ' .. prev end
      bury(e[1], why, p, now)
      buried = buried + 1
    else
      redis.call('ZADD', KEYS[2], now + lease, e[1])
      n = n + 1
      out[#out + 1] = e[1]
      out[#out + 1] = job_of(e[2])
      out[#out + 1] = p + 1
      out[#out + 1] = redis.call('HGET', KEYS[4], e[1]) or ''
    end
  end
  if got == 0 then break end
end
return {buried, out}
`)

// failScript records a failed delivery: it dead-letters the entry if this was
// delivery max-attempts, else schedules it to be reclaimable after a delay.
//
// KEYS[1..9] as queueLib
// ARGV[1] group   ARGV[2] queue   ARGV[3] entry id   ARGV[4] attempt the worker saw
// ARGV[5] reason   ARGV[6] retry after (ms)   ARGV[7] max attempts
// Returns 1 scheduled for retry, 2 dead-lettered, 0 no such pending entry (acked
// or dead already), -1 stale (the entry was delivered again, or settled and
// delivered again, since; nothing done), -2 not leased (released or failed
// already; nothing done).
// A re-run finds the entry gone (0) or no longer leased (-2).
var failScript = redis.NewScript(queueLib + `
local id = ARGV[3]
local owner, attempt = pending(id)
if not owner then return 0 end
if attempt ~= tonumber(ARGV[4]) then return -1 end
if not redis.call('ZSCORE', KEYS[2], id) then return -2 end
local now = now_ms()
if attempt >= tonumber(ARGV[7]) then
  bury(id, ARGV[5], attempt, now)
  return 2
end
redis.call('HSET', KEYS[4], id, ARGV[5])
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[6]), id)
return 1
`)

// releaseScript hands a delivery back without counting it: the delivery
// count goes down by one (XCLAIM RETRYCOUNT), so the next Claim, which
// counts up again, delivers the same attempt number; the entry is due again
// after a delay.
//
// KEYS[1..9] as queueLib
// ARGV[1] group   ARGV[2] queue   ARGV[3] entry id   ARGV[4] attempt the worker saw
// ARGV[5] due after (ms)
// Returns 1 released, 0 no such pending entry, -1 stale (delivered again since,
// or already released: a re-run sees the lowered count and does nothing),
// -2 not leased.
var releaseScript = redis.NewScript(queueLib + `
local id = ARGV[3]
local owner, attempt, count = pending(id)
if not owner then return 0 end
if attempt ~= tonumber(ARGV[4]) then return -1 end
if not redis.call('ZSCORE', KEYS[2], id) then return -2 end
redis.call('XCLAIM', KEYS[1], ARGV[1], owner, 0, id, 'RETRYCOUNT', math.max(count - 1, 0), 'JUSTID')
redis.call('ZREM', KEYS[2], id)
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[5]), id)
return 1
`)

// extendScript moves a running delivery's lease deadline to now + lease.
//
// KEYS[1..9] as queueLib
// ARGV[1] group   ARGV[2] queue   ARGV[3] entry id   ARGV[4] attempt the worker saw
// ARGV[5] lease (ms)
// Returns 1 extended, 0 no such pending entry, -1 stale (delivered again
// since), -2 not leased (released or failed meanwhile).
var extendScript = redis.NewScript(queueLib + `
local id = ARGV[3]
local owner, attempt = pending(id)
if not owner then return 0 end
if attempt ~= tonumber(ARGV[4]) then return -1 end
if not redis.call('ZSCORE', KEYS[2], id) then return -2 end
redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[5]), id)
return 1
`)

// ackScript removes an entry for good and remembers its job id as acked.
//
// KEYS[1..9] as queueLib
// ARGV[1] group   ARGV[2] queue   ARGV[3] entry id   ARGV[4] job id
// ARGV[5] acked retention (ms)
// Returns the number of stream entries deleted (0 if it was gone already,
// which makes a re-run harmless: the acked marker is only written while the
// job's P:{P}:jobs field still names this entry). Acked markers older than
// the retention are trimmed here.
var ackScript = redis.NewScript(queueLib + `
local id, jid = ARGV[3], ARGV[4]
redis.call('XACK', KEYS[1], ARGV[1], id)
local n = redis.call('XDEL', KEYS[1], id)
forget(id)
local now = now_ms()
if redis.call('HGET', KEYS[7], jid) == ARGV[2] .. ' ' .. id then
  redis.call('HDEL', KEYS[7], jid)
  redis.call('ZADD', KEYS[9], now, jid)
end
redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', '(' .. string.format('%.0f', now - tonumber(ARGV[5])))
return n
`)

// retryDeadScript puts a dead job back in its queue as a new entry (fresh
// delivery count).
//
// KEYS[1..9] as queueLib (the queue the dead letter belongs to)
// ARGV[1] group   ARGV[2] queue   ARGV[3] job id
// Returns 1 done, 0 no dead job with that id, -1 the dead letter belongs to
// another queue (the caller read it and picked the wrong keys; nothing done).
// A re-run finds the dead letter gone (0).
var retryDeadScript = redis.NewScript(queueLib + `
local raw = redis.call('HGET', KEYS[8], ARGV[3])
if not raw then return 0 end
local d = cjson.decode(raw)
if d.queue ~= ARGV[2] then return -1 end
local eid = redis.call('XADD', KEYS[1], '*', 'job', d.job)
redis.call('HSET', KEYS[7], ARGV[3], ARGV[2] .. ' ' .. eid)
redis.call('HDEL', KEYS[8], ARGV[3])
redis.call('ZREM', KEYS[6], ARGV[3])
return 1
`)

// statsScript counts one queue's jobs by state in one consistent snapshot.
//
// KEYS[1..9] as queueLib
// ARGV[1] group   ARGV[2] queue
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
return {total - pend + waiting + expired, running, redis.call('ZCARD', KEYS[6])}
`)

// allScripts are loaded by New so the first calls go out as EVALSHA.
var allScripts = []*redis.Script{submitScript, enqueueScript, migrateScript, claimScript, failScript,
	releaseScript, ackScript, retryDeadScript, statsScript, extendScript}
