-- customer.create with a ready password_hash (no hashing), every email new.
local sid = os.getenv("SID")
local run = os.getenv("RUN")
local counter = 0
local thread_tag = "t"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  thread_tag = tostring({}):match("0x(%x+)")
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"jsonrpc":"2.0","method":"call","params":["%s","customer.create",[{' ..
    '"email":"b%s-%s-%d@bench.example.com","firstname":"Bench","lastname":"Create",' ..
    '"password_hash":"5f4dcc3b5aa765d61d8327deb882cf99","website_id":1}]],"id":1}',
    sid, run, thread_tag, counter))
end
