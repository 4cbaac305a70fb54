"""Who is calling: API users, their keys, sessions, permissions and the login throttle."""
