<?php
// Seed 002, Request Example SOAP V1
$client = new SoapClient('https://mahohost/api/soap/?wsdl');
$session = $client->login('apiUser', 'apiKey');
$result = $client->call($session, 'customer.list');
mp($result);
// When the session can be closed
$client->endSession($session);
