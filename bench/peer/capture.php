<?php
// Prints the bodies PHP's SoapClient sends for the three calls (bench/compare.py replays them).
[$_, $wsdl, $code, $key] = $argv;
$client = new SoapClient($wsdl, ['trace' => 1, 'cache_wsdl' => WSDL_CACHE_NONE]);
$date = gmdate('Y-m-d H:i:s');
$session = $client->login($code, $date, hash_hmac('md5', strlen($code) . $code . strlen($date) . $date, $key));
echo json_encode(['login' => $client->__getLastRequest()]), "\n";
try { $client->getCustomerInformation($session, 123456789); } catch (SoapFault $e) {}
echo json_encode(['get' => $client->__getLastRequest()]), "\n";
$customer = new stdClass(); $customer->AvangateCustomerReference = 123456789; $customer->Phone = '+1 ########'; $customer->City = 'CITY';
try { $client->updateCustomerInformation($session, $customer, false); } catch (SoapFault $e) {}
echo json_encode(['update' => $client->__getLastRequest()]), "\n";
echo json_encode(['session' => $session]), "\n";
