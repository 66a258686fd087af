package collect

// BenchTable is benchTable, for the benchmarks of the external test
// package that need a database.
var BenchTable = benchTable
