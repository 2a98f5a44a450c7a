struct klp_object;
