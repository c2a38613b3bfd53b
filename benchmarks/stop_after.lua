-- wrk script for memory.py: stop after N responses (`wrk ... -- N`), one wrk thread (-t1).
-- wrk still waits out its -d duration, but sends nothing more once the thread has stopped.
local limit, count = math.huge, 0

function init(args)
  limit = tonumber(args[1]) or math.huge
end

function response(status, headers, body)
  count = count + 1
  if count >= limit then
    wrk.thread:stop()
  end
end
