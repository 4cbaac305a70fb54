<?php
// Seed 002, Request Example SOAP V2 (Complex Filter)
$client = new SoapClient('https://mahohost/api/v2_soap/?wsdl');
$session = $client->login('apiUser', 'apiKey');
$complexFilter = [
'complex_filter' => [
[
'key' => 'group_id',
'value' => ['key' => 'in', 'value' => '1,3']
]
]
];
$result = $client->customerCustomerList($session, $complexFilter);
mp($result);
