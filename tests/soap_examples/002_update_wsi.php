<?php
// Seed 002, Request Example SOAP V2 (WS-I Compliance Mode)
$proxy = new SoapClient('https://mahohost/api/v2_soap/?wsdl');
$sessionId = $proxy->login((object)['username' => 'apiUser', 'apiKey' => 'apiKey']);
$result = $proxy->customerCustomerUpdate(
(object)[
'sessionId' => $sessionId->result,
'customerId' => '2',
'customerData' => (object)[
'email' => '[email protected]',
'firstname' => 'Dough',
'lastname' => 'Deekson'
]
]
);
var_dump($result->result);
