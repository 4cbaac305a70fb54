<?php
// Seed 002, Request Example SOAP V2 (WS-I Compliance Mode)
$proxy = new SoapClient('https://mahohost/api/v2_soap/?wsdl');
$sessionId = $proxy->login((object)['username' => 'apiUser', 'apiKey' => 'apiKey']);
$result = $proxy->customerCustomerCreate(
(object)[
'sessionId' => $sessionId->result,
'customerData' => (object)[
'email' => '[email protected]',
'firstname' => 'John',
'lastname' => 'Dou',
'password' => '123123',
'website_id' => '0',
'group_id' => '1'
]
]
);
mp($result->result);
