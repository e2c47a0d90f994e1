package grant

// How get-token obtains a token for --request-audience (--request-audience-by).
const (
	// AudienceAuto is the token exchange when the provider's discovery
	// lists it, else Dex's cross-client scope.
	AudienceAuto = "auto"
	// AudienceExchange exchanges the session's access token (RFC 8693,
	// audience=<aud>): Keycloak's standard token exchange, Okta, Entra.
	AudienceExchange = "token-exchange"
	// AudienceCrossClient refreshes the session with Dex's scope
	// audience:server:client_id:<aud> (the peer client trusts ours).
	AudienceCrossClient = "cross-client"
)

// AudienceMethods lists the values of --request-audience-by.
var AudienceMethods = []string{AudienceAuto, AudienceExchange, AudienceCrossClient}
