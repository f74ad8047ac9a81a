-- A data request's erasure of one comment (moderation/data_requests.py), in one step: the comment
-- leaves its commenter's index and is either anonymised (kept where it is, without the author's
-- name, e-mail address, client data or Idempotency-Key) or removed (its hash deleted and its id
-- taken out of every index that can hold it). One audit entry in the site's stream (to 'erased',
-- with a detail; no personal data) and, for an anonymised comment, in its own history.
-- Returns {outcome, status before}: 'anonymised', 'requeued' (anonymised while a worker held it:
-- sent back to the queue), 'removed', 'unchanged' (anonymised before), 'missing' (no such
-- comment: only the index entry went), 'stale' (it changed since the caller read it: nothing
-- written, read it again).
local comment_key, audit_key, commenter_index_key = KEYS[1], KEYS[2], KEYS[3]
-- Every index a comment can be in (transition.lua's, and the ready list).
local queued_key, processing_key, approved_key = KEYS[4], KEYS[5], KEYS[6]
local pending_key, rejected_key, spam_key, dead_letter_key = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local ready_key = KEYS[11]
local idempotency_key = KEYS[12]  -- the stored response to its Idempotency-Key (the comment's own key: none)
local reported_key, reporters_key = KEYS[13], KEYS[14]  -- the Reported queue; who reported it (report_comment.lua)
local comment_id, mode, now, actor, audit_max = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local expected_updated_at = ARGV[6]  -- the comment as the caller read it (compare-and-set)
local erased_name, reasons = ARGV[7], ARGV[8]  -- reasons '': unchanged (else the findings, scrubbed)
local request_id = ARGV[9]  -- of the data request ('': the history shows the comment's own)

local status = redis.call('HGET', comment_key, 'status')
if not status then
  redis.call('ZREM', commenter_index_key, comment_id)
  return {'missing', ''}
end
if redis.call('HGET', comment_key, 'updated_at') ~= expected_updated_at then return {'stale', status} end
redis.call('ZREM', commenter_index_key, comment_id)
if idempotency_key ~= comment_key then redis.call('DEL', idempotency_key) end

local function audit(detail)
  redis.call('XADD', audit_key, 'MAXLEN', '~', audit_max, '*', 'comment', comment_id, 'from', status,
             'to', 'erased', 'actor', actor, 'detail', detail)
end

if mode == 'remove' then
  for _, key in ipairs({queued_key, processing_key, approved_key, pending_key, rejected_key, spam_key,
                        reported_key}) do
    redis.call('ZREM', key, comment_id)
  end
  redis.call('DEL', reporters_key)
  redis.call('LREM', dead_letter_key, 0, comment_id)
  redis.call('LREM', ready_key, 0, comment_id)
  redis.call('DEL', comment_key)
  audit('erased: removed')
  return {'removed', status}
end

local erased_before = redis.call('HEXISTS', comment_key, 'erased_at') == 1
redis.call('HDEL', comment_key, 'author_email', 'client_ip', 'client_user_agent', 'client_referrer',
           'idempotency_key')
redis.call('HSET', comment_key, 'author_name', erased_name)
if reasons ~= '' then redis.call('HSET', comment_key, 'reasons', reasons) end
if erased_before then return {'unchanged', status} end
redis.call('HSET', comment_key, 'erased_at', now)
local outcome, detail = 'anonymised', 'erased: anonymised'
if status == STATE.processing then
  -- A worker holds a copy read before (with the e-mail address, which its decision would use and
  -- record): back to the queue, so that its decision (allowed only from processing) is skipped and
  -- the comment is decided again from what is left. The sweeper sends it if nobody wakes the site.
  outcome, detail = 'requeued', 'erased: anonymised (decided again)'
  redis.call('HSET', comment_key, 'status', STATE.queued, 'updated_at', now)
  redis.call('HDEL', comment_key, 'attempt_started_at')
  redis.call('ZREM', processing_key, comment_id)
  redis.call('ZADD', queued_key, now, comment_id)
  redis.call('LREM', ready_key, 0, comment_id)
  redis.call('LPUSH', ready_key, comment_id)
end
audit(detail)
record_change(audit_key, comment_key, audit_max, comment_id, status, 'erased', now, actor, detail, request_id,
              false)
return {outcome, status}
