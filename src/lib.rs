//! The pallas front end: Rex reader and printer, the Sire compiler, and the command line.
