-- call customer.info with random ids over the whole table.
local sid = os.getenv("SID")
local max_id = tonumber(os.getenv("MAX_ID"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local id = math.random(1, max_id)
  return wrk.format(nil, nil, nil, string.format(
    '{"jsonrpc":"2.0","method":"call","params":["%s","customer.info",[%d]],"id":1}', sid, id))
end
