<?php
// Runs one SOAP call with PHP's SoapClient and prints the outcome as JSON.
// Input (stdin, JSON): {"wsdl": URL|null, "location": URL, "operation": NAME, "args": [...]}
// With "wsdl" null the client runs in non-WSDL mode, sending untyped parameters named
// in "names" (for requests a WSDL-mode client refuses to make).
// With "raw" set, that text replaces the envelope the client would send (for malformed requests).
// Output: {"result": VALUE} or {"fault": {"message", "code", "detail"}}.
ini_set('soap.wsdl_cache_enabled', '0');

class RawSoapClient extends SoapClient {
    public $raw = null;
    public function __doRequest($request, $location, $action, $version, $oneWay = false): ?string {
        return parent::__doRequest($this->raw ?? $request, $location, $action, $version, $oneWay);
    }
}

$request = json_decode(file_get_contents('php://stdin'));
if (isset($request->raw)) {
    $client = new RawSoapClient($request->wsdl, array('location' => $request->location, 'cache_wsdl' => WSDL_CACHE_NONE));
    $client->raw = $request->raw;
    $args = $request->args;
} elseif ($request->wsdl !== null) {
    $client = new SoapClient($request->wsdl, array('location' => $request->location, 'cache_wsdl' => WSDL_CACHE_NONE));
    $args = $request->args;
} else {
    $client = new SoapClient(null, array('location' => $request->location, 'uri' => 'urn:order'));
    $args = array();
    foreach ($request->args as $i => $value) {
        $args[] = new SoapParam($value, $request->names[$i]);
    }
}
try {
    $result = $client->__soapCall($request->operation, $args);
    echo json_encode(array('result' => $result));
} catch (SoapFault $e) {
    echo json_encode(array('fault' => array(
        'message' => $e->getMessage(),
        'code' => $e->faultcode,
        'detail' => isset($e->detail) ? $e->detail : null,
    )));
}
