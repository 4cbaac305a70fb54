<?php
// SOAP v2: customers and addresses created, read, listed with a complex filter, updated and
// deleted, as a Magento 1 integration does it.
$proxy = new SoapClient('http://GATEWAY/api/v2_soap/?wsdl', ['trace' => 1, 'cache_wsdl' => WSDL_CACHE_NONE]);
$sessionId = $proxy->login('apiUser', 'apiKey');
$result = $proxy->customerCustomerCreate($sessionId, ['email' => 'v2@example.com', 'firstname' => 'Dough', 'lastname' => 'Deeks', 'password' => 'password', 'website_id' => 1, 'store_id' => 1, 'group_id' => 1]);
mp($result);
mp($proxy->customerCustomerInfo($sessionId, $result));
mp($proxy->customerCustomerInfo($sessionId, $result, ['email', 'lastname']));
$complexFilter = ['complex_filter' => [['key' => 'group_id', 'value' => ['key' => 'in', 'value' => '1,3']]]];
mp(count($proxy->customerCustomerList($sessionId, $complexFilter)));
mp($proxy->customerCustomerList($sessionId));
mp($proxy->customerCustomerUpdate($sessionId, $result, ['firstname' => 'Changed']));
mp($proxy->customerGroupList($sessionId));
$a = $proxy->customerAddressCreate($sessionId, $result, ['firstname'=>'A','lastname'=>'B','street'=>['l1','l2'],'city'=>'NY','country_id'=>'US','region_id'=>43,'postcode'=>'10001','telephone'=>'1','is_default_billing'=>true]);
mp($a);
mp($proxy->customerAddressUpdate($sessionId, $a, ['city' => 'Brooklyn']));
mp($proxy->customerAddressInfo($sessionId, $a));
mp($proxy->customerAddressList($sessionId, $result));
mp($proxy->customerAddressDelete($sessionId, $a));
try { $proxy->customerCustomerInfo($sessionId, 99999); } catch (SoapFault $e) { mp([$e->faultcode, $e->faultstring]); }
mp($proxy->customerCustomerDelete($sessionId, $result));
mp($proxy->endSession($sessionId));
