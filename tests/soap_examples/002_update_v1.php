<?php
// Seed 002, Request Example SOAP V1
$client = new SoapClient('https://mahohost/api/soap/?wsdl');
$session = $client->login('apiUser', 'apiKey');
$result = $client->call(
$session,
'customer.update',
[
'customerId' => '2',
'customerData' => [
'firstname' => 'John',
'lastname' => 'Doe',
'email' => '[email protected]',
'password' => 'john22'
]
]
);
var_dump($result);
// When the session can be closed
$client->endSession($session);
