<?php
// Seed 002, Request Example SOAP V1
$client = new SoapClient('https://mahohost/api/soap/?wsdl');
$session = $client->login('apiUser', 'apiKey');
$result = $client->call(
$session,
'customer.create',
[
[
'email' => '[email protected]',
'firstname' => 'Dough',
'lastname' => 'Deeks',
'password' => 'password',
'website_id' => 1,
'store_id' => 1,
'group_id' => 1
]
]
);
mp($result);
// When the session can be closed
$client->endSession($session);
