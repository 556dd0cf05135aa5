"""One module per ``opsintel`` command or command group; each parses options, calls the
package that does the work and turns its failures into one line and an exit code."""
