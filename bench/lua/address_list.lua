-- customer_address.list of the customer with ten addresses.
local sid = os.getenv("SID")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"jsonrpc":"2.0","method":"call","params":["%s","customer_address.list",[1]],"id":1}', sid)
