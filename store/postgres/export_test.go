package postgres

// Classify is classify, for the tests of package postgres_test.
func Classify(err error) error { return classify(err) }
