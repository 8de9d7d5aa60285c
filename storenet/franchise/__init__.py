"""The franchise relationship: versioned targets and their attainment, incentive
programs with versioned terms and acceptances, rewards from owed to paid, and each
franchisee's statement (issue 16; docs/franchise.md)."""
