"""The town's directory of partner organisations: associations, migrant organisations,
faith communities, schools; organisers of events, submitters to programmes, invitees."""
