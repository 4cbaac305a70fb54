<?php
// Seed 002, Examples — View, Create, Update and Delete a Customer
$proxy = new SoapClient('https://mahohost/api/soap/?wsdl');
$newCustomer = [
'firstname' => 'First',
'lastname' => 'Last',
'email' => '[email protected]',
'password_hash' => md5('password'),
// The password hash can be either regular or salted md5:
// $hash = md5($password);
// $hash = md5($salt . $password) . ':' . $salt;
// Both variants are valid.
'store_id' => 0,
'website_id' => 0
];
$newCustomerId = $proxy->call($sessionId, 'customer.create', [$newCustomer]);
// Get new customer info
mp($proxy->call($sessionId, 'customer.info', $newCustomerId));
// Update customer
$update = ['firstname' => 'Changed Firstname'];
$proxy->call($sessionId, 'customer.update', [$newCustomerId, $update]);
mp($proxy->call($sessionId, 'customer.info', $newCustomerId));
// Delete customer
$proxy->call($sessionId, 'customer.delete', $newCustomerId);
