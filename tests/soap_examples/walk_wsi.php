<?php
// SOAP wsi: customers and addresses created, read, listed with a complex filter, updated and
// deleted, as a Magento 1 integration does it.
$proxy = new SoapClient('http://GATEWAY/api/v2_soap_wsi/?wsdl', ['trace' => 1, 'cache_wsdl' => WSDL_CACHE_NONE]);
$sessionId = $proxy->login((object)['username' => 'apiUser', 'apiKey' => 'apiKey']);
mp($sessionId);
$result = $proxy->customerCustomerCreate((object)['sessionId' => $sessionId->result, 'customerData' => (object)['email' => 'wsi@example.com', 'firstname' => 'John', 'lastname' => 'Dou', 'password' => '1231234', 'website_id' => '0', 'group_id' => '1']]);
mp($result->result);
$r = $proxy->customerCustomerList((object)['sessionId' => $sessionId->result, 'filters' => null]);
mp($r->result);
$r = $proxy->customerCustomerInfo((object)['sessionId' => $sessionId->result, 'customerId' => $result->result, 'attributes' => ['email']]);
mp($r->result);
$r = $proxy->customerCustomerList((object)['sessionId' => $sessionId->result, 'filters' => (object)['complex_filter' => [(object)['key' => 'customer_id', 'value' => (object)['key' => 'in', 'value' => "{$result->result},99"]]]]]);
mp($r->result);
mp($proxy->customerCustomerUpdate((object)['sessionId' => $sessionId->result, 'customerId' => $result->result, 'customerData' => (object)['email' => 'wsi2@example.com', 'firstname' => 'Dough', 'lastname' => 'Deekson']])->result);
$a = $proxy->customerAddressCreate((object)['sessionId'=>$sessionId->result,'customerId'=>$result->result,'addressData'=>(object)['firstname'=>'A','lastname'=>'B','street'=>['l1','l2'],'city'=>'NY','country_id'=>'US','region_id'=>43,'postcode'=>'10001','telephone'=>'1','is_default_billing'=>true]]);
mp($a->result);
mp($proxy->customerAddressUpdate((object)['sessionId'=>$sessionId->result,'addressId'=>$a->result,'addressData'=>(object)['city'=>'Brooklyn']])->result);
mp($proxy->customerAddressInfo((object)['sessionId'=>$sessionId->result,'addressId'=>$a->result])->result);
mp($proxy->customerAddressList((object)['sessionId'=>$sessionId->result,'customerId'=>$result->result])->result);
mp($proxy->customerAddressDelete((object)['sessionId'=>$sessionId->result,'addressId'=>$a->result])->result);
try { $proxy->customerCustomerInfo((object)['sessionId' => $sessionId->result, 'customerId' => 9999]); } catch (SoapFault $e) { mp([$e->faultcode, $e->faultstring]); }
mp($proxy->customerCustomerDelete((object)['sessionId' => $sessionId->result, 'customerId' => $result->result])->result);
mp($proxy->endSession((object)['sessionId' => $sessionId->result])->result);
