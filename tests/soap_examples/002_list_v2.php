<?php
// Seed 002, Request Example SOAP V2 (List of All Customers)
$proxy = new SoapClient('https://mahohost/api/v2_soap/?wsdl'); // TODO: change url
$sessionId = $proxy->login('apiUser', 'apiKey'); // TODO: change login and pwd if necessary
$result = $proxy->customerCustomerList($sessionId);
mp($result);
