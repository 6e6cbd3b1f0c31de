package redisstore

import (
	"fmt"
	"strings"

	"github.com/floorfeed/floorfeed/store"
)

// Every Redis key this package touches is built here, and nowhere else.
//
// Layout, for the default prefix "ff" (P below):
//
//	P:{P}:idem:<idempotency key>   string "<report id> <payload hash>" (ids have no spaces); expires after idemTTL
//	P:{P}:report:<id>              string: the report as JSON
//	P:{P}:receipts                 hash receipt → report id
//	P:{P}:idx:all                  zset, every report id (all scores 0, ordered by member)
//	P:{P}:idx:<field>:<value>      zset per store.FilterFields entry and value ("" included): the ids of
//	                               the reports whose field has that value (scores 0, ordered by member)
//	P:{P}:idx:team:<team>          zset, ids by assigned team ("" for none). New with schema 2: Open's
//	                               migration adds the reports stored before (Store.Reindex; also
//	                               `floorfeed reindex` after a rolling upgrade, see migrate.go)
//	P:{P}:idx:line:<line>          zset, ids of the reports of one line
//	P:{P}:idx:category:<category>  zset, ids by category
//	P:{P}:idx:severity:<severity>  zset, ids by severity
//	P:{P}:idx:status:<status>      zset, ids by status
//	P:{P}:schema                   string: the layout version (store.SchemaVersion); see migrate.go
//	P:{P}:queue:<q>                stream of the jobs of queue q (one of store.Queues; field "job": job JSON),
//	                               consumer group "workers"
//	P:{P}:queue:<q>:leases         zset entry id → lease deadline (ms, server clock): in flight
//	P:{P}:queue:<q>:retries        zset entry id → retry-at (ms, server clock): failed or released, waiting
//	P:{P}:queue:<q>:errors         hash entry id → last error of a pending entry
//	P:{P}:queue:<q>:prior          hash entry id → deliveries a job had before the schema 1 migration
//	P:{P}:queue:<q>:dead           zset job id → dead-at (ms): the queue's dead letters, by time
//	P:{P}:jobs                     hash job id → "<queue> <entry id>": every live job (ready, in flight,
//	                               retry-waiting) of every queue
//	P:{P}:dead                     hash job id → dead-letter envelope JSON {job, queue, last_error,
//	                               attempt, dead_at_ms}: every dead job, addressable by id (RetryDead)
//	P:{P}:acked                    zset job id → acked-at (ms): ids acked within store.AckedRetention,
//	                               so Enqueue of the same id is a no-op; trimmed by every Ack
//	P:{P}:tokens                   hash token hash → API token JSON
//	P:{P}:tokens:used              hash token hash → last use (unix ms)
//	P:{P}:secret                   string: the installation secret
//	P:{P}:rec:<coll>               hash key → value: one store.Records collection (schema 3)
//	P:{P}:reck:<coll>              zset of coll's keys (scores 0, ordered by member): ListRecords
//	P:{P}:rl:<name>:<key>          hash {tokens, ms}: one token bucket of a RateLimiter (ratelimit.go);
//	                               expires once it would have refilled
//
// Schema version 1 (up to commit 0025e45) had one queue instead of the
// P:{P}:queue:<q>… keys and the job-state keys above; migrate.go moves its
// jobs into the report queue and deletes its keys, except the emptied
// stream and its group, which old instances of a rolling upgrade still use:
//
//	P:{P}:queue                    stream of jobs (field "job"), consumer group "workers"
//	P:{P}:queue:leases             zset entry id → lease deadline (ms)
//	P:{P}:queue:retries            zset entry id → retry-at (ms)
//	P:{P}:queue:errors             hash entry id → last error
//	P:{P}:queue:dead               list of dead letters {job, last_error, attempt, handle, dead_at_ms},
//	                               newest first
//
// No queue is named leases, retries, errors or dead, so the two layouts
// cannot collide.
//
// The hash tag {P} puts every key of one installation in one Redis Cluster
// slot, so multi-key scripts and MULTI blocks work on a cluster; the leading
// "P:" keeps installations apart on a shared server and makes them easy to
// find with SCAN MATCH P:*.

// consumerGroup is the stream consumer group every instance reads through.
const consumerGroup = "workers"

// keyspace builds the key names of one installation.
type keyspace struct {
	base string // "P:{P}:"
}

func newKeyspace(prefix string) (keyspace, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") || strings.TrimSpace(prefix) != prefix {
		return keyspace{}, fmt.Errorf("redis key prefix %q: must not contain braces or surrounding spaces", prefix)
	}
	return keyspace{base: prefix + ":{" + prefix + "}:"}, nil
}

// match is the SCAN pattern that matches every key of the installation.
func (k keyspace) match() string {
	// Escape the glob metacharacters SCAN MATCH knows.
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(k.base) + "*"
}

func (k keyspace) idem(key string) string  { return k.base + "idem:" + key }
func (k keyspace) report(id string) string { return k.base + "report:" + id }
func (k keyspace) receipts() string        { return k.base + "receipts" }
func (k keyspace) idxAll() string          { return k.base + "idx:all" }

// idx is the index of the reports whose field (a store.FilterFields name)
// has value v.
func (k keyspace) idx(field, v string) string {
	return k.base + "idx:" + field + ":" + v
}
func (k keyspace) schema() string            { return k.base + "schema" }
func (k keyspace) stream(q string) string    { return k.base + "queue:" + q }
func (k keyspace) jobs() string              { return k.base + "jobs" }
func (k keyspace) deadJobs() string          { return k.base + "dead" }
func (k keyspace) acked() string             { return k.base + "acked" }
func (k keyspace) queueDead(q string) string { return k.base + "queue:" + q + ":dead" }
func (k keyspace) legacyQueue() string       { return k.base + "queue" }
func (k keyspace) tokens() string            { return k.base + "tokens" }
func (k keyspace) secret() string            { return k.base + "secret" }

func (k keyspace) tokensUsed() string { return k.base + "tokens:used" }

// records and recordKeys are the hash and the key index of one Records collection.
func (k keyspace) records(coll string) string    { return k.base + "rec:" + coll }
func (k keyspace) recordKeys(coll string) string { return k.base + "reck:" + coll }
func (k keyspace) rateBucket(name, key string) string {
	return k.base + "rl:" + name + ":" + key
}

// fieldIndexes returns the value indexes r belongs to (not idx:all), in a
// fixed order: one per store.FilterFields entry, in that order.
func (k keyspace) fieldIndexes(r *store.Report) []string {
	out := make([]string, len(store.FilterFields))
	for i, fd := range store.FilterFields {
		out[i] = k.idx(fd.Name, fd.Value(r))
	}
	return out
}

// queueKeys are the keys every queue script takes for queue q, in the
// order queueLib (scripts.go) documents.
func (k keyspace) queueKeys(q string) []string {
	st := k.stream(q)
	return []string{st, st + ":leases", st + ":retries", st + ":errors", st + ":prior", k.queueDead(q),
		k.jobs(), k.deadJobs(), k.acked()}
}

// legacyKeys are the schema-1 queue keys, in the order legacyLib takes them.
func (k keyspace) legacyKeys() []string {
	l := k.legacyQueue()
	return []string{l, l + ":leases", l + ":retries", l + ":errors", l + ":dead"}
}

// claimKeys are claimScript's keys for queue q: the report queue also
// drains what is left of the schema-1 queue.
func (k keyspace) claimKeys(q string) []string {
	keys := k.queueKeys(q)
	if q == store.QueueReport {
		keys = append(keys, k.legacyKeys()...)
	}
	return keys
}
