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
//	P:{P}:idx:line:<line>          zset, ids of the reports of one line
//	P:{P}:idx:category:<category>  zset, ids by category
//	P:{P}:idx:severity:<severity>  zset, ids by severity
//	P:{P}:idx:status:<status>      zset, ids by status
//	P:{P}:queue                    stream of jobs (field "job": job JSON), consumer group "workers"
//	P:{P}:queue:leases             zset entry id → lease deadline (ms, server clock): in flight
//	P:{P}:queue:retries            zset entry id → retry-at (ms, server clock): failed or released, waiting
//	P:{P}:queue:errors             hash entry id → last error of a pending entry
//	P:{P}:queue:dead               list of dead letters (JSON envelopes, newest first)
//	P:{P}:tokens                   hash token hash → API token JSON
//	P:{P}:tokens:used              hash token hash → last use (unix ms)
//	P:{P}:secret                   string: the installation secret
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
func (k keyspace) idxLine(v string) string { return k.base + "idx:line:" + v }
func (k keyspace) idxCategory(v string) string {
	return k.base + "idx:category:" + v
}
func (k keyspace) idxSeverity(v store.Severity) string {
	return k.base + "idx:severity:" + string(v)
}
func (k keyspace) idxStatus(v store.Status) string {
	return k.base + "idx:status:" + string(v)
}
func (k keyspace) queue() string   { return k.base + "queue" }
func (k keyspace) leases() string  { return k.base + "queue:leases" }
func (k keyspace) retries() string { return k.base + "queue:retries" }
func (k keyspace) errors() string  { return k.base + "queue:errors" }
func (k keyspace) dead() string    { return k.base + "queue:dead" }
func (k keyspace) tokens() string  { return k.base + "tokens" }
func (k keyspace) secret() string  { return k.base + "secret" }

func (k keyspace) tokensUsed() string { return k.base + "tokens:used" }

// fieldIndexes returns the value indexes r belongs to (not idx:all), in a
// fixed order: line, category, severity, status.
func (k keyspace) fieldIndexes(r *store.Report) [4]string {
	return [4]string{
		k.idxLine(r.Line),
		k.idxCategory(r.Category),
		k.idxSeverity(r.Severity),
		k.idxStatus(r.Status),
	}
}

// queueKeys are the keys every queue script takes, in this order.
func (k keyspace) queueKeys() []string {
	return []string{k.queue(), k.leases(), k.retries(), k.errors(), k.dead()}
}
