"""The LearningStore on SQLAlchemy (`store`), in its drill (`records`) and case (`cases`) halves."""
