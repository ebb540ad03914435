"""Partner submissions: organisations propose events for a programme through a public
form; a guide edits, approves (a published event of the programme, the partner as its
organiser) or declines them. Also the programme's partner organisations."""
