DROP TABLE IF EXISTS function_urls;
