DROP FUNCTION client_doc(oauth_clients);
DROP TABLE oauth_clients;
