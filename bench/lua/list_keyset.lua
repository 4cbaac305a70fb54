-- customer.list: a group and a like on email, 100 rows from a random keyset position.
local sid = os.getenv("SID")
local max_id = tonumber(os.getenv("MAX_ID"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local after = math.random(0, math.floor(max_id * 0.9))
  return wrk.format(nil, nil, nil, string.format(
    '{"jsonrpc":"2.0","method":"call","params":["%s","customer.list",' ..
    '[{"group_id":1,"email":{"like":"%%@shop.test"},"customer_id":{"gt":%d}},null,' ..
    '{"order":"customer_id","limit":100}]],"id":1}', sid, after))
end
