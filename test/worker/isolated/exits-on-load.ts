// A logic module whose loading ends the thread or process it is loaded in.
process.exit(3)
