"""The front-ends: each turns its wire format into calls of the core and never imports
another. ``rendering`` is where a fault takes each wire's shape."""
