package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// consumerIdle is how long a consumer of a queue's group may be idle, with
// nothing pending, before New removes it. Workers name themselves after
// their host, which changes with every container deploy, so without this the
// groups would collect one consumer per deploy for good.
const consumerIdle = 24 * time.Hour

// pruneConsumersScript removes the consumers of a group that have no
// pending entries and have been idle longer than a limit. It is a script
// because the check and the removal must be one step: XGROUP DELCONSUMER
// drops the consumer's pending entries, so a consumer that claimed a job
// between a separate check and the removal would lose it.
//
// KEYS[1] P:{P}:queue:<q>   ARGV[1] group   ARGV[2] idle limit (ms)
// Returns the number of consumers removed. A re-run removes nothing more.
var pruneConsumersScript = redis.NewScript(`
local n = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if tonumber(f['pending']) == 0 and tonumber(f['idle']) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    n = n + 1
  end
end
return n
`)

// pruneConsumers removes, from every queue's group, the consumers idle for
// longer than idle with nothing pending (see consumerIdle).
func (s *Store) pruneConsumers(ctx context.Context, idle time.Duration) (int, error) {
	total := 0
	for _, q := range store.Queues {
		n, err := pruneConsumersScript.Run(ctx, s.c, []string{s.k.stream(q)}, consumerGroup, idle.Milliseconds()).Int()
		if err != nil {
			return total, fmt.Errorf("prune idle consumers of %s: %w", s.k.stream(q), wrapErr(err))
		}
		total += n
	}
	return total, nil
}
