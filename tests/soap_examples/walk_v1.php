<?php
// SOAP v1: customers and addresses created, read, listed with a complex filter, updated and
// deleted, as a Magento 1 integration does it.
$client = new SoapClient('http://GATEWAY/api/soap/?wsdl');
$session = $client->login('apiUser', 'apiKey');
$id = $client->call($session, 'customer.create', [['email' => 'walk.v1@example.com', 'firstname' => 'Walk', 'lastname' => 'One', 'password' => 'password', 'website_id' => 1]]);
mp($client->call($session, 'customer.info', $id));
mp($client->call($session, 'customer.list', [['customer_id' => ['in' => [$id]], 'email' => ['like' => 'walk.%']]]));
mp($client->call($session, 'customer.update', [$id, ['firstname' => 'Walked']]));
$address = $client->call($session, 'customer_address.create', [$id, ['firstname' => 'A', 'lastname' => 'B', 'street' => ['1 Main St', 'Apt 2'], 'city' => 'New York', 'country_id' => 'US', 'region_id' => 43, 'postcode' => '10001', 'telephone' => '555', 'is_default_billing' => true]]);
mp($client->call($session, 'customer_address.info', $address));
mp($client->call($session, 'customer_address.update', [$address, ['city' => 'Brooklyn']]));
mp($client->call($session, 'customer_address.list', $id));
mp($client->multiCall($session, [['customer.info', $id], ['customer.info', 999999]]));
mp($client->call($session, 'customer_address.delete', $address));
mp($client->call($session, 'customer.delete', $id));
mp($client->endSession($session));
