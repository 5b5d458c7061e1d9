package scenarios

// ViolationNames are the violations a Violate step can name over a socket,
// for the tests of package scenarios_test.
var ViolationNames = violationNames
