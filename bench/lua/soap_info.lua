-- SOAP v2 customerCustomerInfo (RPC/encoded, as PHP's SoapClient sends it), random ids.
local sid = os.getenv("SID")
local max_id = tonumber(os.getenv("MAX_ID"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"urn:Mage_Api_Model_Server_V2_HandlerAction"'

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local id = math.random(1, max_id)
  return wrk.format(nil, nil, nil, string.format(
    '<?xml version="1.0" encoding="UTF-8"?>' ..
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"' ..
    ' xmlns:ns1="urn:OpenMage" xmlns:xsd="http://www.w3.org/2001/XMLSchema"' ..
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' ..
    ' xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"' ..
    ' SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>' ..
    '<ns1:customerCustomerInfo><sessionId xsi:type="xsd:string">%s</sessionId>' ..
    '<customerId xsi:type="xsd:int">%d</customerId><attributes xsi:nil="true"/>' ..
    '</ns1:customerCustomerInfo></SOAP-ENV:Body></SOAP-ENV:Envelope>', sid, id))
end
