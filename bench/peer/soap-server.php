<?php
// The peer twoco is measured against (bench/compare.py): the SOAP server a PHP shop would write
// for login, getCustomerInformation and updateCustomerInformation. ext-soap's SoapServer on
// twoco's own API 4.0 WSDL, a session check per call, the same required fields, PDO prepared
// statements on a persistent connection, on the same store (twoco's schema) as twoco.
// php-fpm runs it, behind nginx; TWOCO_PEER_DSN and TWOCO_PEER_WSDL come from the fpm pool.

const SESSION_TTL = 600;
const FIELDS = [  // the API's Customer fields and their columns
    'ExternalCustomerReference' => 'external_reference', 'FirstName' => 'first_name', 'LastName' => 'last_name',
    'Company' => 'company', 'FiscalCode' => 'fiscal_code', 'Address1' => 'address1', 'Address2' => 'address2',
    'City' => 'city', 'State' => 'state', 'Zip' => 'zip', 'CountryCode' => 'country_code', 'Phone' => 'phone',
    'Fax' => 'fax', 'Email' => 'email', 'Language' => 'language',
];
const REQUIRED = ['FirstName', 'LastName', 'Address1', 'City', 'Zip', 'CountryCode', 'Email'];

function db(): PDO {
    static $pdo = null;
    if ($pdo === null) {
        $dsn = getenv('TWOCO_PEER_DSN');
        $pdo = new PDO($dsn, null, null, [PDO::ATTR_PERSISTENT => true, PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        if (str_starts_with($dsn, 'sqlite:')) {  // as durable as twoco's SQLite: WAL, fsync at each commit
            $pdo->exec('PRAGMA busy_timeout = 10000');
            $pdo->exec('PRAGMA journal_mode = WAL');
            $pdo->exec('PRAGMA synchronous = FULL');
        }
    }
    return $pdo;
}

function is_sqlite(): bool {
    return db()->getAttribute(PDO::ATTR_DRIVER_NAME) === 'sqlite';
}

class CustomerApi {
    public function login($merchantCode, $date, $hash) {
        $find = db()->prepare('SELECT id, secret_key FROM merchants WHERE code = ?');
        $find->execute([$merchantCode]);
        $merchant = $find->fetch(PDO::FETCH_ASSOC);
        $expected = hash_hmac('md5', strlen($merchantCode) . $merchantCode . strlen($date) . $date, $merchant['secret_key'] ?? '');
        if (!$merchant || !hash_equals($expected, (string) $hash)) {
            throw new SoapFault('Client', 'Authentication failed');
        }
        $session = bin2hex(random_bytes(16));
        $add = db()->prepare('INSERT INTO sessions (token_hash, merchant_id, api_version, expires_at) VALUES (?, ?, ?, ?)');
        $add->execute([hash('sha256', $session), $merchant['id'], '4.0', time() + SESSION_TTL]);
        return $session;
    }

    public function getCustomerInformation($sessionID, $reference) {
        $merchant = $this->merchant($sessionID);
        $find = db()->prepare('SELECT * FROM customers WHERE merchant_id = ? AND reference = ?');
        $find->execute([$merchant, (int) $reference]);
        $row = $find->fetch(PDO::FETCH_ASSOC);
        if (!$row) {
            throw new SoapFault('Client', 'Customer not found');
        }
        return $this->customer($row);
    }

    public function updateCustomerInformation($sessionID, $customer, $push = false) {
        $merchant = $this->merchant($sessionID);
        $pdo = db();
        $pdo->exec(is_sqlite() ? 'BEGIN IMMEDIATE' : 'BEGIN');
        try {
            $lock = is_sqlite() ? '' : ' FOR UPDATE';
            $find = $pdo->prepare("SELECT * FROM customers WHERE merchant_id = ? AND reference = ?$lock");
            $find->execute([$merchant, (int) $customer->AvangateCustomerReference]);
            $row = $find->fetch(PDO::FETCH_ASSOC);
            if (!$row) {
                throw new SoapFault('Client', 'Customer not found');
            }
            $changes = [];
            foreach (FIELDS as $field => $column) {
                if (isset($customer->$field)) {
                    $changes[$column] = (string) $customer->$field;
                }
            }
            $merged = array_merge($row, $changes);
            foreach (REQUIRED as $field) {
                if (trim((string) $merged[FIELDS[$field]]) === '') {
                    throw new SoapFault('Client', "$field is required");
                }
            }
            if ($changes) {
                $set = implode(', ', array_map(fn ($column) => "$column = ?", array_keys($changes)));
                $update = $pdo->prepare("UPDATE customers SET $set WHERE merchant_id = ? AND reference = ?");
                $update->execute([...array_values($changes), $merchant, $row['reference']]);
            }
            if ($push) {
                $pushed = ['first_name', 'last_name', 'email', 'company', 'phone', 'fax', 'address1', 'address2', 'zip', 'city', 'state', 'country_code', 'language'];
                $set = implode(', ', array_map(fn ($column) => "end_user_$column = ?", $pushed));
                $update = $pdo->prepare("UPDATE subscriptions SET $set WHERE merchant_id = ? AND customer_reference = ?");
                $update->execute([...array_map(fn ($column) => $merged[$column], $pushed), $merchant, $row['reference']]);
            }
            $pdo->exec('COMMIT');
        } catch (Throwable $error) {
            $pdo->exec('ROLLBACK');
            throw $error;
        }
        return true;
    }

    private function merchant($sessionID) {
        $find = db()->prepare('SELECT merchant_id, expires_at FROM sessions WHERE token_hash = ?');
        $find->execute([hash('sha256', (string) $sessionID)]);
        $session = $find->fetch(PDO::FETCH_ASSOC);
        if (!$session || $session['expires_at'] < time()) {
            throw new SoapFault('Client', 'Invalid session ID');
        }
        return (int) $session['merchant_id'];
    }

    private function customer(array $row) {
        $customer = new stdClass();
        $customer->AvangateCustomerReference = (int) $row['reference'];
        foreach (FIELDS as $field => $column) {
            $customer->$field = $row[$column];
        }
        $customer->Enabled = true;
        $customer->Trial = false;
        return $customer;
    }
}

ini_set('soap.wsdl_cache_enabled', '1');
ini_set('soap.wsdl_cache', '1');  // the WSDL is parsed once per worker, as a shop would configure it
$server = new SoapServer(getenv('TWOCO_PEER_WSDL'), ['cache_wsdl' => WSDL_CACHE_BOTH]);
$server->setClass('CustomerApi');
$server->handle();
