"""One employee's answers to the bundled bank: leaving for growth, with a decent manager. Each
free-text answer says why, so the offline analyst asks no follow-up."""

ANSWERS = {
    "primary_reason": "1",
    "trigger": "I was passed over for promotion twice because the criteria were never written down.",
    "manager_rating": "4",
    "growth_rating": "2",
    "recognition_rating": "3",
    "workload": "about right",
    "tools_rating": "4",
    "team_culture": "I would keep the kindness of the team and change how slowly decisions get made, because we waited months.",
    "retention": "A clear path to senior engineer, because that is what I asked for at every review.",
    "would_return": "yes",
    "recommend": "8",
    "advice": "Write down how promotions work, because nobody could tell me.",
}
