-- Save a site's policy as its next version: the current one (KEYS[1]) and the history (KEYS[2]).
-- ARGV: settings JSON, now, actor. Returns the new version number.
local policy_key, history_key = KEYS[1], KEYS[2]
local settings, now, actor = ARGV[1], ARGV[2], ARGV[3]
local version = redis.call('HINCRBY', policy_key, 'version', 1)
redis.call('HSET', policy_key, 'settings', settings, 'updated_at', now, 'updated_by', actor)
redis.call('LPUSH', history_key, cjson.encode({version = version, settings = cjson.decode(settings),
                                                updated_at = now, updated_by = actor}))
return version
