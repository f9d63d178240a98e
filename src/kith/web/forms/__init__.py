"""Forms of the browser UI. They validate the shape of input; services normalise and decide."""
