<?php
// Seed 001, 2 · Working with customer address
$proxy = new SoapClient('http://magentohost/api/?wsdl');
$sessionId = $proxy->login('apiUser', 'apiKey');

$newCustomerId = $proxy->call($sessionId, 'customer.create', array([
    'firstname'  => 'First',
    'lastname'   => 'Last',
    'email'      => 'test@example.com',
    'password'   => 'password',
    'store_id'   => 0,
    'website_id' => 0,
]));

$newAddressId = $proxy->call($sessionId, 'customer_address.create', array($newCustomerId, [
    'firstname'           => 'First',
    'lastname'            => 'Last',
    'country_id'          => 'USA',
    'region_id'           => '43',
    'region'              => 'New York',
    'city'                => 'New York',
    'street'              => ['street1', 'street2'],
    'telephone'           => '5555-555',
    'postcode'            => 10021,
    'is_default_billing'  => true,
    'is_default_shipping' => true,
]));

var_dump($proxy->call($sessionId, 'customer_address.list', $newCustomerId));
$proxy->call($sessionId, 'customer_address.update', array($newAddressId, ['firstname' => 'Changed Firstname']));
$proxy->call($sessionId, 'customer_address.delete', $newAddressId);
