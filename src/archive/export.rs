//! Reading the archive out for people: auditor exports (GoBD Z3), DSAR bundles and transcripts.
