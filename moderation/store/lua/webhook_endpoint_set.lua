-- Replace one webhook endpoint's record (KEYS[1], the site's endpoints hash; ARGV[1] its id,
-- ARGV[2] the JSON) only while it exists: an update racing a deletion does not bring it back.
-- Returns 1 when written.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
