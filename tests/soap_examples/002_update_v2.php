<?php
// Seed 002, Request Example SOAP V2
$client = new SoapClient('https://mahohost/api/v2_soap/?wsdl');
$session = $client->login('apiUser', 'apiKey');
$result = $client->customerCustomerUpdate(
$session,
'2',
[
'email' => '[email protected]',
'firstname' => 'Dough',
'lastname' => 'Deekson',
'password' => 'password',
'website_id' => 1,
'store_id' => 1,
'group_id' => 1
]
);
var_dump($result);
