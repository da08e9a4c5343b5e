"""达川救助 (Dachuan Aid): the social-assistance service."""
