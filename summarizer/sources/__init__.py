"""Where articles come from: fetch pages and feeds, extract and clean their text, ingest
them into the store, poll subscribed feeds."""
