// Package leanmem hands the pages of the running executable back to the
// kernel, for commands that want a small peak resident set (mnc run,
// mncrun): the code and constants that start-up and loading touched go,
// and what the work after needs comes back from the page cache, a page at
// a time. Linux only; elsewhere Release does nothing.
package leanmem
